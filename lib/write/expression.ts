// An UpdateItem's expressions, built by the fragments that need them: each asks for a name or value
// placeholder at the moment it uses one, so that the request names exactly the attributes and values its
// expressions use (DynamoDB refuses any other). DynamoDB's limits on expression parameters are counted
// here, and only here (developerguide/Constraints.html, "Expression parameters").

/** DynamoDB's longest expression string: 4 KB, for the update and the condition expression each. */
export const MAX_EXPRESSION_BYTES = 4096;
/** DynamoDB's most operators or functions in one update expression. */
export const MAX_UPDATE_OPERATORS = 300;

/** The parts of an UpdateItem request that its expressions make. */
export interface BuiltExpression {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

// An attribute name DynamoDB documents without ambiguity: 1 to 255 bytes.
const MAX_NAME_BYTES = 255;

/** Whether `key` can be an expression attribute name: a write through any other key takes whole values. */
export function isAttributeName(key: string): boolean {
  const bytes = Buffer.byteLength(key);
  return bytes > 0 && bytes <= MAX_NAME_BYTES;
}

export class UpdateExpression {
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, unknown> = {};
  readonly #keys = new Map<string, string>();
  readonly #set: string[] = [];
  readonly #remove: string[] = [];
  readonly #conditions: string[] = [];
  #numberedValues = 0;
  #operators = 0;

  /** The placeholder `#<placeholder>` of an attribute name this service knows, such as `#user_id`. */
  name(placeholder: string, attribute: string = placeholder): string {
    const name = `#${placeholder}`;
    this.#names[name] = attribute;
    return name;
  }

  /**
   * The placeholder of a key that is data (a member of content or metadata): `#m<n>`, one per distinct key.
   * Any text may be a key, dots and brackets included, so a key never appears in an expression itself.
   */
  key(key: string): string {
    let name = this.#keys.get(key);
    if (name === undefined) {
      name = `#m${this.#keys.size}`;
      this.#keys.set(key, name);
      this.#names[name] = key;
    }
    return name;
  }

  /** The placeholder `:<label>` of a value this service names, such as `:caller`. */
  value(label: string, value: unknown): string {
    const placeholder = `:${label}`;
    this.#values[placeholder] = value;
    return placeholder;
  }

  /** The placeholder of a value that is data: `:m<n>`, one per value. */
  dataValue(value: unknown): string {
    return this.value(`m${this.#numberedValues++}`, value);
  }

  /** A SET action. `operators`: the operators and functions its operand uses, besides the assignment. */
  set(path: string, operand: string, operators = 0): void {
    this.#set.push(`${path} = ${operand}`);
    this.#operators += 1 + operators;
  }

  /** A REMOVE action. */
  remove(path: string): void {
    this.#remove.push(path);
    this.#operators += 1;
  }

  /** A condition, joined to the others with AND. */
  condition(condition: string): void {
    this.#conditions.push(condition);
  }

  /** How many conditions are joined so far. */
  conditionCount(): number {
    return this.#conditions.length;
  }

  /** Whether the expressions (as built, by default as they stand) are within DynamoDB's limits. */
  fits({ UpdateExpression, ConditionExpression }: BuiltExpression = this.build()): boolean {
    return (
      Buffer.byteLength(UpdateExpression) <= MAX_EXPRESSION_BYTES &&
      Buffer.byteLength(ConditionExpression) <= MAX_EXPRESSION_BYTES &&
      this.#operators <= MAX_UPDATE_OPERATORS
    );
  }

  build(): BuiltExpression {
    const actions = [];
    if (this.#set.length > 0) actions.push(`SET ${this.#set.join(', ')}`);
    if (this.#remove.length > 0) actions.push(`REMOVE ${this.#remove.join(', ')}`);
    return {
      UpdateExpression: actions.join(' '),
      ConditionExpression: this.#conditions.join(' AND '),
      ExpressionAttributeNames: this.#names,
      ExpressionAttributeValues: this.#values,
    };
  }
}
