/**
 * Runs the fake provider as a process, for trying the CLI by hand or benchmarking:
 *   node node_modules/tsx/dist/cli.mjs test/fake-provider/serve.ts [--latency 200] [--port 0]
 * It answers "Answer: <reference>" on even questions ("Question i") and a wrong letter on odd ones.
 */
import { parseArgs } from 'node:util';
import { answerFor } from './plan.ts';
import { startFakeProvider } from './server.ts';

const { values } = parseArgs({ options: { latency: { type: 'string', default: '0' } } });
const fake = await startFakeProvider({
  latencyMs: Number(values.latency),
  answer: (c) => answerFor(c.prompt),
});
console.log(`fake provider at ${fake.openaiBaseURL} (OpenAI) and ${fake.anthropicBaseURL} (Anthropic)`);
process.on('SIGINT', () => {
  console.log(`${fake.requests.length} requests, ${fake.answered()} answered`);
  fake.close().then(() => process.exit(0));
});
