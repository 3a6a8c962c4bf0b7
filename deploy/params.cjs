// Reading serverless.yml params in the deploy/ resolvers, with the function's own rule for booleans
// (lib/config.ts): true or false in any case, anything else refused at packaging.
module.exports.booleanParam = async (resolveVariable, name) => {
  const value = String(await resolveVariable(`param:${name}`))
    .trim()
    .toLowerCase();
  if (value !== 'true' && value !== 'false') throw new Error(`${name} must be true or false, got ${value}`);
  return value === 'true';
};
