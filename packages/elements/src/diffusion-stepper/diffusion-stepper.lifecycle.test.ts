import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import './define.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import type { GenvizCancelEvent, GenvizCompleteEvent, GenvizErrorEvent } from './events.js';
import {
  announcement,
  mount as mountElement,
  once,
  part,
  unmountAll,
  MODEL_WORK,
} from '../testing/dom.js';

// How the stepper behaves as a page author drives it: methods right after property changes,
// moving and removing it mid-run, fixing what was wrong. Each test failed on the stepper before
// the element kit. Real default models, in the runtime's worker, on WASM.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(() => {
  unmountAll();
  vi.restoreAllMocks();
});

const mount = (template: TemplateResult) =>
  mountElement<GenvizDiffusionStepper>(template, 'genviz-diffusion-stepper');

const collect = <K extends keyof GlobalEventHandlersEventMap>(element: EventTarget, name: K) => {
  const events: GlobalEventHandlersEventMap[K][] = [];
  element.addEventListener(name, (event) => events.push(event as GlobalEventHandlersEventMap[K]));
  return events;
};

describe('methods act on the settings of the moment', () => {
  test('play() right after a property or attribute change samples with the new value', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        steps="8"
        guidance="1"
      ></genviz-diffusion-stepper>`,
    );
    let complete = once(element, 'genviz-complete');
    element.seed = 9;
    element.play();
    expect((await complete).result.steps).toBe(8);
    const seedNine = element.trajectory.at(-1)!.sample;

    complete = once(element, 'genviz-complete');
    element.setAttribute('steps', '12');
    element.play();
    const done: GenvizCompleteEvent = await complete;
    expect(done.result.steps).toBe(12);
    expect(element.trajectory).toHaveLength(12);
    expect(Array.from(element.trajectory.at(-1)!.sample)).not.toEqual(Array.from(seedNine));
  });

  test('startRace() right after a change races with the new value', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper .runtime=${runtime} mode="race"></genviz-diffusion-stepper>`,
    );
    const completions = collect(element, 'genviz-complete');
    element.raceSteps = 4;
    element.startRace();
    await vi.waitFor(() => expect(completions).toHaveLength(5), MODEL_WORK);
    expect(element.raceLanes.map((lane) => lane.steps)).toEqual([4, 50, 20, 50, 4]);
  });

  test('play() in forward mode walks t to 1000 and samples nothing', async () => {
    const sample = vi.spyOn(runtime.diffusion, 'sample');
    const element = await mount(
      html`<genviz-diffusion-stepper .runtime=${runtime}></genviz-diffusion-stepper>`,
    );
    element.play();
    await vi.waitFor(() => expect(element.timestep).toBe(1000), MODEL_WORK);
    expect(sample).not.toHaveBeenCalled();
  });
});

describe('leaving the page and coming back', () => {
  test('removing it mid-run says so; added back, it samples again', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        scheduler="ddpm"
        steps="200"
      ></genviz-diffusion-stepper>`,
    );
    const cancels = collect(element, 'genviz-cancel');
    element.play();
    await vi.waitFor(() => expect(element.trajectory.length).toBeGreaterThan(2), MODEL_WORK);
    const parent = element.parentElement!;
    element.remove();
    expect(cancels.map((event: GenvizCancelEvent) => [event.run, event.reason])).toEqual([
      ['reverse', 'disconnected'],
    ]);
    expect(element.running).toBe(false);
    await element.updateComplete;
    expect(announcement(element)).toMatch(/stopped: the element left the page/);

    parent.append(element);
    await vi.waitFor(() => expect(element.running).toBe(true));
    const restarted = element.trajectory.length;
    await vi.waitFor(
      () => expect(element.trajectory.length).toBeGreaterThan(restarted + 2),
      MODEL_WORK,
    );
    element.reset();
  });

  test('a stopped or removed race marks its unfinished lanes stopped', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="race"
        race-steps="300"
      ></genviz-diffusion-stepper>`,
    );
    element.startRace();
    await vi.waitFor(() => expect(element.raceLanes[2]?.status).toBe('done'), MODEL_WORK);
    await userEvent.click(part(element, 'race-button')!);
    await element.updateComplete;
    expect(element.raceLanes.map((lane) => lane.status)).toEqual([
      'stopped',
      'stopped',
      'done',
      'stopped',
      'stopped',
    ]);
    expect(announcement(element)).toMatch(/race was stopped/);
    expect(element.shadowRoot!.querySelectorAll('[data-status="running"]')).toHaveLength(0);

    element.startRace();
    await vi.waitFor(() => expect(element.raceLanes[1]?.status).toBe('running'), MODEL_WORK);
    const cancels = collect(element, 'genviz-cancel');
    element.remove();
    await element.updateComplete;
    expect(cancels.map((event) => event.reason)).toEqual(['disconnected']);
    expect(element.raceLanes.some((lane) => lane.status === 'running')).toBe(false);
  });
});

describe('errors and rejected values', () => {
  test('a run error goes as soon as a good model is set, before Play', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        model="/no-such-model/manifest.json"
      ></genviz-diffusion-stepper>`,
    );
    element.play();
    await vi.waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    element.model = 'mnist-ddpm';
    await element.updateComplete;
    expect(part(element, 'error')).toBeNull();
  });

  test('LCM is refused more steps than it can take up front, and the message goes with the fix', async () => {
    const errors = collect(document, 'genviz-error');
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        scheduler="lcm"
        steps="51"
      ></genviz-diffusion-stepper>`,
    );
    expect(part(element, 'message')!.textContent).toMatch(/LCM cannot take 51 steps/);
    element.play();
    expect(element.running).toBe(false);
    await element.updateComplete;
    expect(errors.map((event: GenvizErrorEvent) => event.message).join('\n')).toMatch(/LCM/);
    element.steps = 4;
    await element.updateComplete;
    expect(part(element, 'message')).toBeNull();
    const complete = once(element, 'genviz-complete');
    element.play();
    expect((await complete).result.steps).toBe(4);
  });

  test('each time a value becomes invalid, genviz-error fires again', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper .runtime=${runtime}></genviz-diffusion-stepper>`,
    );
    const errors = collect(element, 'genviz-error');
    for (const steps of [0, 20, 0]) {
      element.steps = steps;
      await element.updateComplete;
      await element.updateComplete;
    }
    expect(errors.filter((event) => /^steps must be/.test(event.message))).toHaveLength(2);
  });

  test('an empty number attribute is quoted as written, not read as 0', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper .runtime=${runtime} steps=""></genviz-diffusion-stepper>`,
    );
    const message = part(element, 'message')!.textContent!;
    expect(message).toMatch(/steps must be a whole number from 1 to 1000, not "" \(empty\)/);
    expect(message).not.toMatch(/not 0/);
  });

  test("a classifier's manifest as model is refused when it loads, before Play", async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        model="mnist-classifier"
      ></genviz-diffusion-stepper>`,
    );
    await vi.waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    expect(part(element, 'error')!.textContent).toMatch(
      /is a classifier model; this element needs a diffusion model/,
    );
  });

  test('the guidance slider covers the valid range, 0 to 20', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        guidance="15"
      ></genviz-diffusion-stepper>`,
    );
    const slider = part(element, 'guidance-slider') as HTMLInputElement;
    expect(slider.max).toBe('20');
    expect(slider.valueAsNumber).toBe(15);
  });
});
