// A node's display name (config `name`, NodeInfo.name): its rules, shared by the configuration and
// the wire protocol. No Node.js imports: the renderer's types reach this file through the protocol.
import { z } from 'zod';

/** Longest node name (characters). */
export const MAX_NODE_NAME_CHARS = 64;

/** Control, format (bidi overrides, zero-width), line/paragraph separator and lone surrogate characters. */
export const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** 1 to 64 printable characters, not only spaces. */
export const nodeNameSchema = z
  .string()
  .min(1, 'at least 1 character')
  .max(MAX_NODE_NAME_CHARS, `at most ${MAX_NODE_NAME_CHARS} characters`)
  .refine((t) => !NOT_PRINTABLE.test(t), 'printable characters only (no control or invisible formatting characters)')
  .refine((t) => t.trim().length > 0, 'not only spaces');
