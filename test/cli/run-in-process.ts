import { PassThrough } from 'node:stream';
import { runCli } from '../../cli/program.js';

/**
 * Runs the CLI in this process with its output captured, against `apiUrl` with a made-up
 * platform, and `runDir` as its run folder. `whileRunning` acts while the command runs (sends
 * signals, answers prompts).
 */
export const runInProcess = async (
  args: string[],
  {
    runDir,
    apiUrl,
    stdinText = '',
    whileRunning = async () => {},
  }: {
    runDir: string;
    apiUrl: string;
    stdinText?: string;
    whileRunning?: () => Promise<void>;
  },
) => {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => append(chunk.toString()));
    return stream;
  };
  const stdin = new PassThrough();
  stdin.end(stdinText);
  const running = runCli(args, {
    stdout: sink((text) => {
      stdout += text;
    }),
    stderr: sink((text) => {
      stderr += text;
    }),
    stdin,
    env: {
      TIPSTREAM_RUN_DIR: runDir,
      TIPSTREAM_API_URL: apiUrl,
      TIPSTREAM_PLATFORM_ID: 'p',
      TIPSTREAM_PLATFORM_SECRET: 's',
    },
  });
  await whileRunning();
  const code = await running;
  // Let the captured streams deliver their last chunks.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout, stderr };
};
