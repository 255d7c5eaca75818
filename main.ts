// Entry point of `cdktf synth` and `npm run synth`: validate the selected environments' config,
// build their stacks, write Terraform JSON to cdktf.out/. Nothing is written when config is bad.
import { App } from 'cdktf';
import { ConfigError, loadEnvironments, selectEnvironments } from './config/load';
import { buildStacks } from './stacks';

function selectedConfigs() {
  try {
    return loadEnvironments(selectEnvironments(process.argv.slice(2), process.env));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

// cdktf captures a stack trace for every reference it creates; with source maps on (tsx turns them
// on) each capture maps every frame, which tripled synth time. Config errors are reported without
// stack traces, so synth runs with them off.
process.setSourceMapsEnabled(false);

const configs = selectedConfigs();
const app = new App();
buildStacks(app, configs);
app.synth();
