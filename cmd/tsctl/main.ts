#!/usr/bin/env node
// tsctl: the tskube command line.
import { run } from '../../pkg/tsctl/cli.js';

// `tsctl logs POD | head`: a closed pipe ends the command quietly, as it does for kubectl.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

run(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
