// node-core's real entry points for the desktop host (a module of its own so tests can replace it).
import { startHttp } from '../node-core/src/http/index.js';
import { createNode } from '../node-core/src/node.js';
import type { NodeFactory } from './node-host.js';

export const nodeFactory: NodeFactory = { createNode, startHttp };
