import { GenvizError, GenvizRuntime, clearModelCache } from '@genviz/runtime';
import { html } from 'lit';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { commands } from 'vitest/browser';
import type { GenvizDiffusionStepper } from './diffusion-stepper/diffusion-stepper.js';
import type { GenvizGanDuel } from './gan-duel/gan-duel.js';
import type { GenvizLatentExplorer } from './latent-explorer/latent-explorer.js';
import './define.js';
import { mount, once, unmountAll } from './testing/dom.js';
import type {} from './testing/node-commands.js';

// A reader's second visit without network (issue 24): after one visit has loaded every model,
// a fresh runtime (a new worker, as after a reload) and fresh elements must work from the Cache
// API alone, manifests included, while every request for a model asset fails.

const runtimes: GenvizRuntime[] = [];
/** A runtime of its own, as a reloaded page gets: a new worker that has fetched nothing yet. */
function freshRuntime(): GenvizRuntime {
  const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
  runtimes.push(runtime);
  return runtime;
}

afterEach(async () => {
  unmountAll();
  for (const runtime of runtimes.splice(0)) runtime.terminate();
  await commands.restoreModelNetwork();
});

/** Mounts the three elements on `runtime` and waits until each has done its first piece of work. */
async function visit(runtime: GenvizRuntime): Promise<void> {
  const stepper = await mount<GenvizDiffusionStepper>(
    html`<genviz-diffusion-stepper
      .runtime=${runtime}
      mode="reverse"
      steps="5"
      digit="3"
    ></genviz-diffusion-stepper>`,
    'genviz-diffusion-stepper',
  );
  const duel = await mount<GenvizGanDuel>(
    html`<genviz-gan-duel .runtime=${runtime} seed="5" grid-size="4"></genviz-gan-duel>`,
    'genviz-gan-duel',
  );
  const explorer = await mount<GenvizLatentExplorer>(
    html`<genviz-latent-explorer .runtime=${runtime}></genviz-latent-explorer>`,
    'genviz-latent-explorer',
  );
  const errors: string[] = [];
  for (const element of [stepper, duel, explorer])
    element.addEventListener('genviz-error', (event) => errors.push(event.message));

  const failed = once(stepper, 'genviz-error').then((event) => {
    throw new Error(`the stepper failed: ${event.message}`);
  });
  const completed = once(stepper, 'genviz-complete');
  stepper.play();
  const { result } = await Promise.race([completed, failed]);
  expect(result.evaluations).toBe(5);
  await vi.waitFor(
    () => {
      expect(errors).toEqual([]);
      expect(duel.round?.cells).toHaveLength(4);
      expect(explorer.decoded).toBeDefined();
      expect(explorer.nearestClass).not.toBeNull();
    },
    { timeout: 120_000 },
  );
}

describe('a reload without network', () => {
  test('after one visit, every element works from the cache with manifests and models unreachable', async () => {
    await visit(freshRuntime());
    unmountAll();
    for (const runtime of runtimes.splice(0)) runtime.terminate();

    await commands.cutModelNetwork();
    await visit(freshRuntime());
    const aborted = await commands.restoreModelNetwork();
    const paths = aborted.map((url) => new URL(url).pathname);
    // The network really was cut: the second visit asked for the manifests and was refused.
    expect(paths).toContain('/packages/models/assets/mnist-ddpm/manifest.json');
    expect(paths).toContain('/packages/models/assets/mnist-dcgan/manifest.json');
    expect(paths).toContain('/packages/models/assets/mnist-vae/manifest.json');
  });

  test('with nothing cached, the error names the URL that was fetched', async () => {
    await clearModelCache();
    await commands.cutModelNetwork();
    const runtime = freshRuntime();
    const error = await runtime.load('mnist-vae').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GenvizError);
    expect((error as GenvizError).code).toBe('model-not-found');
    const aborted = await commands.restoreModelNetwork();
    // The URL requested (here the dev server's, with its query), not the key it was located by.
    const named =
      /^Could not fetch the model manifest (\S+): the network request failed, and no copy is cached\.$/.exec(
        (error as GenvizError).message,
      );
    expect(named, (error as GenvizError).message).not.toBeNull();
    expect(aborted).toContain(named![1]);
  });
});
