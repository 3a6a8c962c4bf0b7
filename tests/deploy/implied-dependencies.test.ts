// The packaging plugin that removes DependsOn entries a resource's Ref or Fn::GetAtt already implies
// (cfn-lint W3005). The packaged templates are linted whole in package.test.ts.
import { describe, expect, it } from 'vitest';
import { dropImpliedDependencies, type Template } from '../../deploy/implied-dependencies.cjs';

describe('dropImpliedDependencies', () => {
  it('drops what Ref and both forms of Fn::GetAtt imply, keeps the rest, and deletes an emptied DependsOn', () => {
    const template: Template = {
      Resources: {
        Stage: { DependsOn: ['Api', 'Group'], Properties: { ApiId: { Ref: 'Api' } } },
        Route: {
          DependsOn: 'Integration',
          Properties: { Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'Integration' }]] } },
        },
        Permission: {
          DependsOn: ['Function', 'Role', 'Other'],
          Properties: { FunctionName: { 'Fn::GetAtt': ['Function', 'Arn'] }, Role: { 'Fn::GetAtt': 'Role.Arn' } },
        },
        Plain: { Properties: { Name: 'x' } },
      },
    };
    dropImpliedDependencies(template);
    expect(template.Resources).toEqual({
      Stage: { DependsOn: ['Group'], Properties: { ApiId: { Ref: 'Api' } } },
      Route: { Properties: { Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'Integration' }]] } } },
      Permission: {
        DependsOn: ['Other'],
        Properties: { FunctionName: { 'Fn::GetAtt': ['Function', 'Arn'] }, Role: { 'Fn::GetAtt': 'Role.Arn' } },
      },
      Plain: { Properties: { Name: 'x' } },
    });
  });

  it('reads a DependsOn next to no properties, and a template with no resources', () => {
    const template: Template = { Resources: { Wait: { DependsOn: 'Table' } } };
    dropImpliedDependencies(template);
    expect(template.Resources?.Wait).toEqual({ DependsOn: ['Table'] });
    expect(() => dropImpliedDependencies({})).not.toThrow();
  });
});
