// genviz-export's help: every command's options and notes, the usage lines and the help pages.
import { MODEL_DTYPES } from './dtypes.js';

interface OptionHelp {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** The value's placeholder in the usage line, e.g. `<dir>`. */
  readonly value?: string;
  readonly required?: boolean;
  /** May be given more than once. */
  readonly multiple?: boolean;
}

interface CommandHelp {
  readonly summary: string;
  /** The positional argument, e.g. `<model-dir>`; none when empty. */
  readonly positional: string;
  readonly options: Readonly<Record<string, OptionHelp>>;
  /** Lines shown under the options: forms of values, examples. */
  readonly notes?: string;
}

const DTYPES_HELP = `comma-separated dtypes (${MODEL_DTYPES.join(', ')})`;

const REF_OPTION: OptionHelp = {
  type: 'string',
  value: '<network>.<io>=<file>',
  multiple: true,
  description:
    'a reference array saved by your own tools, instead of (or on top of) reference.safetensors',
};

const REF_NOTES = `References (--ref, repeatable):
  --ref decoder.latent=latent.npy        a NumPy .npy file (np.save); its dtype and shape are read from it
  --ref decoder.image=image.bin:4x1x28x28  raw little-endian float32 values (tensor.numpy().tofile) and their shape
  --ref refs/                            a folder of <network>.<io>.npy files (decoder.latent.npy, decoder.image.npy)
  Every input and output of every network needs one, from --ref or from <model-dir>/reference.safetensors.`;

export const COMMANDS: Readonly<Record<string, CommandHelp>> = {
  convert: {
    summary:
      'config.json + <network>.safetensors -> <network>.onnx (an .onnx network is checked and passed on)',
    positional: '<model-dir> | <file.onnx>',
    options: {
      out: {
        type: 'string',
        value: '<dir>',
        required: true,
        description:
          'folder for <network>.onnx; every network appears there together, or none does',
      },
      network: {
        type: 'string',
        value: '<name>',
        description: 'only this network (default: every network in config.json)',
      },
      weights: {
        type: 'string',
        value: '<file>',
        description:
          'another checkpoint of the same architecture (e.g. a GAN snapshot); needs --network',
      },
    },
  },
  quantize: {
    summary: '<network>.onnx -> <network>_fp16.onnx, <network>_int8.onnx',
    positional: '<network>.onnx',
    options: {
      dtypes: {
        type: 'string',
        value: 'fp16,int8',
        description: `${DTYPES_HELP}; default fp16,int8`,
      },
      out: {
        type: 'string',
        value: '<dir>',
        description:
          'folder for the variants (default: next to the input); each is checked to load in onnxruntime, and all appear together or none does',
      },
    },
  },
  verify: {
    summary: 'run every variant on onnxruntime-node against the reference outputs',
    positional: '<model-dir>',
    options: {
      in: {
        type: 'string',
        value: '<dir>',
        required: true,
        description: 'folder with <network>[_<dtype>].onnx files to check',
      },
      ref: REF_OPTION,
    },
    notes: REF_NOTES,
  },
  pack: {
    summary: 'verify, then write the passing variants and manifest.json as a folder',
    positional: '<model-dir>',
    options: {
      in: {
        type: 'string',
        value: '<dir>',
        required: true,
        description: 'folder with <network>[_<dtype>].onnx files',
      },
      out: {
        type: 'string',
        value: '<dir>',
        required: true,
        description:
          'folder for manifest.json and the verified files: replaced as a whole when pack succeeds (files its old manifest does not name are kept)',
      },
      ref: REF_OPTION,
    },
    notes: REF_NOTES,
  },
  build: {
    summary: 'convert, quantize, verify and pack every model folder (what packages/models runs)',
    positional: '',
    options: {
      models: {
        type: 'string',
        value: '<models-dir>',
        required: true,
        description: 'folder of model folders (each with config.json)',
      },
      out: {
        type: 'string',
        value: '<assets-dir>',
        required: true,
        description:
          'assets folder: replaced as a whole when the build succeeds (with --only, the other models in it are kept)',
      },
      dtypes: {
        type: 'string',
        value: 'fp32,fp16,int8',
        description: `${DTYPES_HELP}; default all`,
      },
      only: {
        type: 'string',
        value: '<id>,...',
        description: 'comma-separated model folders (and/or mnist-data) to build',
      },
    },
  },
  evaluate: {
    summary: "the models' quality metrics on packed variants, and the VAE/GAN/diffusion table",
    positional: '',
    options: {
      assets: {
        type: 'string',
        value: '<assets-dir>',
        required: true,
        description: 'a built assets folder (with mnist-data and mnist-classifier)',
      },
      dtype: {
        type: 'string',
        value: 'fp32|fp16|int8|all',
        description:
          'variant(s) to evaluate: fp32, fp16, int8, comma-separated, or all (default fp32); the judge is always the fp32 classifier',
      },
      samples: {
        type: 'string',
        value: '1000',
        description: 'samples per generative metric (default 1000; e.g. 100 for a quick check)',
      },
      steps: {
        type: 'string',
        value: '50',
        description:
          'DDIM steps for the diffusion models (default: from their manifests, 50); mnist-lcm is always judged at 1, 2, 4 and 8 steps',
      },
      only: {
        type: 'string',
        value: '<id>,...',
        description: 'comma-separated model ids to evaluate (default: every model present)',
      },
      threads: {
        type: 'string',
        value: '1',
        description: 'onnxruntime threads per session (default 1: time per image is per core)',
      },
      snapshots: {
        type: 'boolean',
        description: 'also judge each GAN training snapshot (1 s each)',
      },
      'no-dpm': { type: 'boolean', description: 'skip the DPM-Solver++-20 diffusion row' },
      json: {
        type: 'string',
        value: '<file>',
        description: 'also write every figure to this JSON file',
      },
      strict: { type: 'boolean', description: 'exit 1 when a target of the models issue fails' },
    },
  },
};

/** The usage line of a command: every option, required ones bare, the others in brackets. */
export function usageLine(name: string): string {
  const help = COMMANDS[name]!;
  const parts = [`genviz-export ${name}`];
  if (help.positional !== '') parts.push(help.positional);
  for (const [option, spec] of Object.entries(help.options)) {
    const text = spec.type === 'boolean' ? `--${option}` : `--${option} ${spec.value ?? '<value>'}`;
    const repeated = spec.multiple ? `${text} ...` : text;
    parts.push(spec.required ? repeated : `[${repeated}]`);
  }
  return parts.join(' ');
}

export const USAGE = `genviz-export: PyTorch checkpoints (safetensors + config.json) to verified, quantized ONNX for the web

Usage: genviz-export <command> [options]
       genviz-export help <command>     (or genviz-export <command> --help: that command's options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, help]) => `  ${name.padEnd(9)} ${help.summary}`)
  .join('\n')}

${Object.keys(COMMANDS)
  .map((name) => `  ${usageLine(name)}`)
  .join('\n')}
`;

export function commandHelp(name: string): string {
  const help = COMMANDS[name]!;
  const lines = Object.entries(help.options).map(
    ([option, spec]) =>
      `  --${option.padEnd(10)} ${spec.description}${spec.multiple ? ' (repeatable)' : ''}`,
  );
  return `genviz-export ${name}: ${help.summary}\n\nUsage: ${usageLine(name)}\n\nOptions:\n${lines.join('\n')}\n  --help       this text\n${help.notes ? `\n${help.notes}\n` : ''}`;
}
