// A tiny typed reader over parsed YAML: each accessor checks one value and every error names the file
// and path. `done()` refuses any key that no accessor asked for, so a typo never passes silently.

import { ConfigError } from './errors.js';

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class Section {
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    readonly path: string,
    private readonly obj: Plain,
  ) {}

  /** Wraps a parsed value that must be a mapping (null or absent counts as an empty mapping). */
  static of(file: string, path: string, value: unknown): Section {
    if (value === null || value === undefined) return new Section(file, path, {});
    if (!isPlain(value)) throw new ConfigError(file, path, 'expected a mapping');
    return new Section(file, path, value);
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  error(key: string, reason: string): ConfigError {
    return new ConfigError(this.file, this.at(key), reason);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key);
  }

  keys(): string[] {
    return Object.keys(this.obj);
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  section(key: string): Section {
    return Section.of(this.file, this.at(key), this.raw(key));
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '') throw this.error(key, 'expected a non-empty string');
    return v;
  }

  int(key: string, min: number, max: number): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw this.error(key, `expected an integer from ${min} to ${max}`);
    }
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw this.error(key, 'expected true or false');
    return v;
  }

  strings(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
      throw this.error(key, 'expected a list of non-empty strings');
    }
    return v as string[];
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      throw this.error(key, `expected one of ${allowed.join(', ')}, got '${v}'`);
    }
    return v as T;
  }

  /** Refuses keys that no accessor read. */
  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.seen.has(k)) throw this.error(k, 'unknown key');
    }
  }
}
