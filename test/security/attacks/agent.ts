// The attacker process: runs inside the attacker namespace (ip netns exec pbs-atk), reads one JSON
// command a line on stdin ({id, op, target, params}) and answers one JSON line {id, outcome|error}.
import { createInterface } from 'node:readline';
import { fetchPipelined, smallFrames, bigFrames, fakeVoters } from './floods.js';
import { httpGarbage, poison } from './http-attacks.js';
import { forgedState, forwardCapture, forwardReplay, peerAdmin } from './peer-attacks.js';
import { forceMasterCapture, joinFlood, termJump, udpReplay } from './udp-attacks.js';
import type { Outcome, Target } from './wire.js';

/** every attack takes its own params; the harness builds them, so the agent passes them through unchecked */
type Op = (t: Target, p: never) => Promise<Outcome>;

export const OPS: Record<string, Op> = {
  poison,
  httpGarbage,
  termJump,
  joinFlood,
  udpReplay,
  forceMasterCapture,
  forgedState,
  peerAdmin,
  forwardCapture,
  forwardReplay,
  fetchPipelined,
  smallFrames,
  bigFrames,
  fakeVoters,
};

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let cmd: { id: number; op: string; target: Target; params: unknown };
  try {
    cmd = JSON.parse(line) as typeof cmd;
  } catch {
    return;
  }
  const op = OPS[cmd.op];
  const reply = (v: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify({ id: cmd.id, ...v })}\n`);
  };
  if (!op) return reply({ error: `unknown op ${cmd.op}` });
  op(cmd.target, cmd.params as never).then(
    (outcome) => reply({ outcome }),
    (err: unknown) => reply({ error: (err as Error).stack ?? String(err) }),
  );
});
rl.on('close', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
