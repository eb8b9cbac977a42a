// Every configuration error names the file and the dotted path inside it (README.md, "Configuration").

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === '' ? `${file}: ${reason}` : `${file}: ${path}: ${reason}`);
  }
}
