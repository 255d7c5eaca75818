// Evaluates the Terraform expressions cdktf writes into synthesized JSON (`"${jsonencode({...})}"`,
// `"${aws_s3_bucket.x.arn}/webapp/*"`), so a test can read a policy document as AWS will receive it.
// The grammar is the subset cdktf emits: templates with `${...}`, objects with `"key" = value`,
// lists, strings, numbers, booleans, null, references with attribute and index steps, and the
// functions in FUNCTIONS. Anything else is refused by name, so a new construct cannot be misread.

/** A reference's root and its steps: `aws_kms_key.key.arn` is ['aws_kms_key', 'key', 'arn']. */
export type Traversal = readonly (string | number)[];

/** Gives the value of a reference; throws when it cannot. */
export type Resolver = (traversal: Traversal) => unknown;

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  jsonencode: (value) => JSON.stringify(value),
  base64encode: (text) => Buffer.from(String(text), 'utf8').toString('base64'),
  replace: (text, search, replacement) => {
    if (typeof text !== 'string' || typeof search !== 'string' || typeof replacement !== 'string')
      throw new Error('replace(string, substring, replacement) takes strings');
    if (/^\/.*\/$/.test(search)) throw new Error(`replace(): a regular expression (${search}) is not read here; add it`);
    return text.split(search).join(replacement);
  },
  join: (separator, list) => {
    if (typeof separator !== 'string' || !Array.isArray(list)) throw new Error('join(separator, list) takes a string and a list');
    return list.join(separator);
  },
};

/** The value of a JSON string as Terraform reads it: a template when it holds `${`, else the string itself. */
export function evaluateTemplate(text: string, resolve: Resolver): unknown {
  if (!text.includes('${')) return text;
  const parser = new Parser(text, resolve);
  return parser.template(undefined);
}

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly resolve: Resolver,
  ) {}

  /** A template up to `end` (a closing quote) or the end of the text. A lone `${...}` keeps its value's type. */
  template(end: '"' | undefined): unknown {
    const parts: unknown[] = [];
    let literal = '';
    while (this.pos < this.src.length && this.src[this.pos] !== end) {
      if (this.src.startsWith('$${', this.pos)) {
        literal += '${';
        this.pos += 3;
      } else if (this.src.startsWith('${', this.pos)) {
        if (literal) parts.push(literal);
        literal = '';
        this.pos += 2;
        parts.push(this.expression());
        this.skipSpace();
        this.expect('}');
      } else if (end && this.src[this.pos] === '\\') {
        literal += this.escape();
      } else {
        literal += this.src[this.pos++];
      }
    }
    if (end) this.expect(end);
    if (literal) parts.push(literal);
    if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0];
    return parts
      .map((p) => {
        if (typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') return String(p);
        throw this.error(`cannot interpolate ${JSON.stringify(p)} into a string`);
      })
      .join('');
  }

  expression(): unknown {
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.list();
    if (c === '"') {
      this.pos++;
      return this.template('"');
    }
    if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(this.src.slice(this.pos));
      if (!m) throw this.error('a number');
      this.pos += m[0].length;
      return Number(m[0]);
    }
    const name = this.identifier();
    if (name === 'true' || name === 'false') return name === 'true';
    if (name === 'null') return null;
    this.skipSpace();
    if (this.src[this.pos] === '(') return this.call(name);
    return this.resolve(this.traversal(name));
  }

  private object(): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    for (this.skipSpace(); this.src[this.pos] !== '}'; this.skipSpace()) {
      const key = this.expression();
      if (typeof key !== 'string') throw this.error('an object key that is a string');
      this.skipSpace();
      this.expect('=');
      out[key] = this.expression();
      this.separator('}');
    }
    this.pos++;
    return out;
  }

  private list(): unknown[] {
    return this.sequence('[', ']');
  }

  private call(name: string): unknown {
    const fn = FUNCTIONS[name];
    if (!fn) throw this.error(`a known function, not ${name}() (known: ${Object.keys(FUNCTIONS).join(', ')})`);
    return fn(...this.sequence('(', ')'));
  }

  /** Comma-separated expressions between `open` and `close` (a trailing comma allowed). */
  private sequence(open: string, close: string): unknown[] {
    this.expect(open);
    const out: unknown[] = [];
    for (this.skipSpace(); this.src[this.pos] !== close; this.skipSpace()) {
      out.push(this.expression());
      this.separator(close);
    }
    this.pos++;
    return out;
  }

  private traversal(root: string): Traversal {
    const steps: (string | number)[] = [root];
    for (;;) {
      if (this.src[this.pos] === '.') {
        this.pos++;
        steps.push(this.identifier());
      } else if (this.src[this.pos] === '[') {
        this.pos++;
        const index = this.expression();
        if (typeof index !== 'number' && typeof index !== 'string') throw this.error('an index that is a number or a string');
        steps.push(index);
        this.skipSpace();
        this.expect(']');
      } else {
        return steps;
      }
    }
  }

  private identifier(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(this.pos));
    if (!m) throw this.error('an identifier');
    this.pos += m[0].length;
    return m[0];
  }

  private escape(): string {
    const next = this.src[this.pos + 1];
    this.pos += 2;
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
    if (next in simple) return simple[next];
    if (next === 'u') {
      const hex = this.src.slice(this.pos, this.pos + 4);
      this.pos += 4;
      return String.fromCharCode(parseInt(hex, 16));
    }
    throw this.error(`a known escape, not \\${next}`);
  }

  private separator(close: string): void {
    this.skipSpace();
    if (this.src[this.pos] === ',') this.pos++;
    else if (this.src[this.pos] !== close) throw this.error(`',' or '${close}'`);
  }

  private skipSpace(): void {
    while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  private expect(c: string): void {
    if (this.src[this.pos] !== c) throw this.error(`'${c}'`);
    this.pos++;
  }

  private error(wanted: string): Error {
    return new Error(`expected ${wanted} at ${this.pos} in ${this.src.slice(Math.max(0, this.pos - 40), this.pos + 40)}`);
  }
}
