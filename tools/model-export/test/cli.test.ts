import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandHelp, usageLine } from '../src/cli.js';
import { errorLines, runMain } from './capture.js';
import { TINY_CONFIGS, temporaryDir, writeTinyModel } from './fixtures.js';
import { FOREIGN_CONFIG, writeForeignModel } from './foreign-model.js';
import { installedPackage, runBin } from './installed-cli.js';

const COMMANDS = ['convert', 'quantize', 'verify', 'pack', 'build', 'evaluate'];

describe('help', () => {
  it("`help <command>` and `<command> --help` print that command's help", async () => {
    for (const command of COMMANDS) {
      for (const argv of [
        ['help', command],
        [command, '--help'],
      ]) {
        const run = await runMain(argv);
        expect(run.code, argv.join(' ')).toBe(0);
        expect(run.stdout).toContain(`Usage: genviz-export ${command} `);
      }
    }
    const option = await runMain(['convert', 'models/x', '--bogus']);
    expect(option.code).toBe(1);
    expect(errorLines(option)).toEqual([
      "genviz-export: convert: Unknown option '--bogus' (see genviz-export help convert)",
    ]);
    const unknown = await runMain(['help', 'frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('help: unknown command "frobnicate"');
  });

  it('every usage line lists every option its help describes', () => {
    for (const command of COMMANDS) {
      const options = [...commandHelp(command).matchAll(/^ {2}--([a-z-]+)/gm)]
        .map((match) => match[1]!)
        .filter((option) => option !== 'help');
      expect(options.length, command).toBeGreaterThan(0);
      for (const option of options) expect(usageLine(command), command).toContain(`--${option}`);
    }
    expect(usageLine('evaluate')).toContain('[--steps 50]');
    expect(usageLine('verify')).toContain('[--ref <network>.<io>=<file> ...]');
  });
});

describe('config.json', () => {
  async function configError(config: unknown): Promise<string[]> {
    const dir = join(await temporaryDir(), 'model');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    return errorLines(await runMain(['convert', dir, '--out', await temporaryDir()]));
  }

  it('validates architecture.type even when every network is an .onnx file', async () => {
    const lines = await configError({
      ...FOREIGN_CONFIG,
      architecture: { type: 'my-autoencoder' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /config\.json: "architecture\.type" "my-autoencoder" has no builder \(known: cnn-classifier, conv-vae, dcgan, conditional-unet\b.*\).* leave "architecture" out/,
    );
  });

  it('needs an architecture for .safetensors networks, and one that builds them', async () => {
    const vae = TINY_CONFIGS['tiny-vae']!;
    const { architecture: _architecture, ...withoutArchitecture } = vae;
    expect((await configError(withoutArchitecture))[0]).toMatch(
      /"architecture" is missing: networks encoder, decoder come as \.safetensors checkpoints/,
    );
    expect(
      (await configError({ ...vae, architecture: { ...vae.architecture!, type: 'dcgan' } }))[0],
    ).toMatch(/architecture "dcgan" has no network "encoder" \(it has: generator, discriminator\)/);
    expect(
      (
        await configError({
          ...vae,
          networks: { decoder: { ...vae.networks['decoder']!, weights: 'decoder.pt' } },
        })
      )[0],
    ).toMatch(/"networks\.decoder\.weights" must name a \.safetensors or \.onnx file/);
  });

  it("checks an .onnx network's input types and sizes against config.json", async () => {
    const dir = await writeForeignModel(await temporaryDir());
    const config = JSON.parse(
      await readFile(join(dir, 'config.json'), 'utf8'),
    ) as typeof FOREIGN_CONFIG;
    const wrong = {
      ...config,
      networks: {
        ...config.networks,
        decoder: {
          ...config.networks['decoder']!,
          inputs: [{ name: 'latent', dtype: 'float32', shape: ['batch', 8] }],
        },
      },
    };
    await writeFile(join(dir, 'config.json'), JSON.stringify(wrong));
    const out = await temporaryDir();
    const run = await runMain(['convert', dir, '--out', out]);
    expect(run.code).toBe(1);
    expect(errorLines(run)[0]).toMatch(
      /decoder\.onnx: input "latent" is float32 \[batch_size, 4\], config\.json says float32 \[batch, 8\]/,
    );
    expect(await readdir(out)).toEqual([]);
  });
});

describe('the installed bin', () => {
  it('runs from any folder, with paths relative to that folder', async () => {
    const bin = join(await installedPackage(), 'bin', 'genviz-export.js');
    const elsewhere = await temporaryDir();
    await writeTinyModel(join(elsewhere, 'models'), 'tiny-classifier');
    const help = await runBin(bin, ['help', 'convert'], elsewhere);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: genviz-export convert');
    const run = await runBin(bin, ['convert', 'models/tiny-classifier', '--out', 'out'], elsewhere);
    expect(run.code, run.stderr).toBe(0);
    expect(await readdir(join(elsewhere, 'out'))).toEqual(['classifier.onnx']);
    const failed = await runBin(bin, ['convert', 'models/missing', '--out', 'out'], elsewhere);
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toMatch(
      /^genviz-export: models\/missing\/config\.json: cannot read: ENOENT/,
    );
  }, 60_000);

  it('says in one line that the package needs building when dist/ is missing', async () => {
    const root = await temporaryDir();
    await mkdir(join(root, 'bin'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(root, 'bin', 'genviz-export.js'),
      await readFile(new URL('../bin/genviz-export.js', import.meta.url)),
    );
    const run = await runBin(join(root, 'bin', 'genviz-export.js'), ['help'], root);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/dist\/cli\.js is missing: build the package first/);
  });
});
