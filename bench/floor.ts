// The benchmark's floor: a cdktf app that synthesizes the same number of stacks and resources as
// the main job (given on the command line) with one deep-imported resource type and nothing else.
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';

const [stackCount, resourceCount] = process.argv.slice(2).map(Number);
if (!(stackCount > 0) || !(resourceCount > 0)) {
  console.error('usage: tsx bench/floor.ts <stacks> <resources>');
  process.exit(2);
}

const app = new App();
for (let s = 0; s < stackCount; s++) {
  const stack = new TerraformStack(app, `floor-${s}`);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const perStack = Math.floor(resourceCount / stackCount) + (s < resourceCount % stackCount ? 1 : 0);
  for (let r = 0; r < perStack; r++) {
    new SsmParameter(stack, `p${r}`, { name: `/floor/${s}/${r}`, type: 'String', value: String(r) });
  }
}
app.synth();
