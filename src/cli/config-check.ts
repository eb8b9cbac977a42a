// `config check FILE`: validates a config file without opening the HSM or binding a port. Errors name
// the file and the path (shared/CONTRACT.md); what can only be seen at run time (environment variables,
// library present) is checked here too so a deployment fails before the baker needs it.

import { existsSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { exposureWarning } from '../server/exposure.js';
import { UsageError } from './args.js';

export async function configCheck(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0]!.startsWith('-')) throw new UsageError('usage: config check FILE');
  const file = argv[0]!;
  const config = await loadConfig(file);
  const problems: ConfigError[] = [];
  if (!existsSync(config.hsm.library)) {
    problems.push(
      new ConfigError(file, 'hsm.library', `${config.hsm.library} does not exist on this machine`),
    );
  }
  if (config.hsm.pinFile === null && !process.env[config.hsm.pinEnv]) {
    problems.push(
      new ConfigError(file, 'hsm.pin_env', `environment variable ${config.hsm.pinEnv} is not set`),
    );
  }
  const tokenEnv = config.server.apiTokenEnv;
  if (tokenEnv !== null && !process.env[tokenEnv]) {
    problems.push(
      new ConfigError(file, 'server.api_token_env', `environment variable ${tokenEnv} is not set`),
    );
  }
  for (const p of problems) process.stderr.write(`${p.message}\n`);
  if (problems.length > 0) return 1;
  const exposed = exposureWarning(config);
  if (exposed) process.stderr.write(`warning: ${exposed}\n`);
  const keys =
    config.tezos === null ? 'every key on the token (consensus policy)' : `${config.tezos.size} key(s)`;
  const auth =
    config.server.authorizedKeys !== null ||
    [...config.keyOps.values()].some((k) => k.authorizedKeys !== null)
      ? 'required'
      : 'off';
  const node = config.node ? `${config.node.rpc} (fail ${config.node.failOpen ? 'open' : 'closed'})` : 'off';
  process.stdout.write(
    `${file}: ok\n  signing API ${config.server.tls ? 'https' : 'http'}://${config.server.address.host}:${config.server.address.port}` +
      `\n  keys: ${keys}\n  request authentication: ${auth}\n  chain-head check: ${node}\n  watermark: ${config.watermark.backend}\n`,
  );
  return 0;
}
