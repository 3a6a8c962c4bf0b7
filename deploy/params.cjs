// Reading serverless.yml params in the deploy/ resolvers, with the function's own rules
// (lib/config/environment.ts): booleans true or false in any case, anything else refused at packaging;
// lists comma-separated, blanks dropped.
module.exports.booleanParam = async (resolveVariable, name) => {
  const value = String(await resolveVariable(`param:${name}`))
    .trim()
    .toLowerCase();
  if (value !== 'true' && value !== 'false') throw new Error(`${name} must be true or false, got ${value}`);
  return value === 'true';
};

/** The items of a comma-separated text, trimmed, blanks dropped. */
module.exports.commaList = (text) =>
  String(text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
