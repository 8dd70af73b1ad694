// Bounds on consensus numbers that arrive from peers or disk: a term beyond MAX_TERM is refused
// everywhere, and one message may raise a node's term by at most MAX_TERM_JUMP.
export const MAX_TERM = 2 ** 48;
export const MAX_TERM_JUMP = 10_000;
