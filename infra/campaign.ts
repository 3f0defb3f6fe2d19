import { runCli } from './campaign/cli';

// `npm run campaign -- users.csv ...`: see infra/campaign/cli.ts (USAGE) and docs/CAMPAIGN.md.
let interrupted = false;
runCli(process.argv.slice(2), {
  stderr: process.stderr,
  env: process.env,
  cwd: process.env.INIT_CWD ?? process.cwd(),
  onInterrupt(handler) {
    const onSigint = () => {
      // A second Ctrl-C quits at once; what was written stays in <out>.partial, which the next run reads.
      if (interrupted) process.exit(130);
      interrupted = true;
      handler();
    };
    process.on('SIGINT', onSigint);
    return () => process.off('SIGINT', onSigint);
  },
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`campaign: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
