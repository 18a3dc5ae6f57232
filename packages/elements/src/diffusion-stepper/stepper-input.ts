import type { GenvizDiffusionStepper } from './diffusion-stepper.js';

// How a reader's keys, pastes, drops and file picks reach the stepper: only through its public
// methods, so the keyboard does exactly what a page author's script can.

/** Space or K plays and pauses (starts and stops the race); period and comma step. */
export function onStepperKeyDown(element: GenvizDiffusionStepper, event: KeyboardEvent): void {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.composedPath()[0];
  const typing =
    target instanceof HTMLInputElement &&
    !['range', 'button', 'checkbox', 'radio', 'file'].includes(target.type);
  if (typing || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) {
    return;
  }
  const onControl = target instanceof HTMLButtonElement || target instanceof HTMLInputElement;
  if (element.mode === 'forward') return;
  if (event.key === 'k' || (event.key === ' ' && !onControl)) {
    event.preventDefault();
    if (element.mode === 'race') {
      if (element.running) element.stopRace();
      else element.startRace();
    } else if (element.running || element.replaying) {
      element.pause();
    } else {
      element.play();
    }
  } else if (element.mode === 'reverse' && event.key === '.') {
    event.preventDefault();
    element.stepForward();
  } else if (element.mode === 'reverse' && event.key === ',') {
    event.preventDefault();
    element.stepBack();
  }
}

/** A pasted image shows its forward process. */
export function onStepperPaste(element: GenvizDiffusionStepper, event: ClipboardEvent): void {
  const file = [...(event.clipboardData?.files ?? [])].find((item) =>
    item.type.startsWith('image/'),
  );
  if (!file) return;
  event.preventDefault();
  element.mode = 'forward';
  element.setImage(file, 'a pasted image');
}

/** The forward view's drop zone and file picker. */
export const imageInputHandlers = (element: GenvizDiffusionStepper) => ({
  onDrop: (event: DragEvent) => {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) element.setImage(file);
  },
  onDragOver: (event: DragEvent) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  },
  onFile: (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file) element.setImage(file);
    input.value = '';
  },
  useDefaultImage: () => element.useDefaultImage(),
});
