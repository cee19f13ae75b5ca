// @vitest-environment happy-dom
import { act } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { lockSoonText } from '../../src/renderer/state';
import { appStateHarness } from '../helpers/ui';

// An idle lock drops a form's unsaved edits (it cannot wait for an answer), so main warns shortly
// before it, and the window passes the warning on to whoever has something to lose.
function setup() {
  const { result, emit, unmount } = appStateHarness();
  const warnings = () => result.current.toasts.filter((t) => t.text === lockSoonText(60));
  return { result, emit, warnings, unmount };
}

describe('the warning before an idle lock', () => {
  it('says nothing when no form holds unsaved edits', () => {
    const { emit, warnings } = setup();
    emit('lockSoon', { seconds: 60 });
    expect(warnings()).toEqual([]);
  });

  it('alerts someone with unsaved edits, and goes at their next key press or click', () => {
    const { result, emit, warnings } = setup();
    act(() => result.current.setDirty('profile-form', true));
    emit('lockSoon', { seconds: 60 });
    expect(warnings()).toMatchObject([{ tone: 'error', count: 1 }]);
    act(() => void window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Shift' })));
    expect(warnings()).toEqual([]);

    emit('lockSoon', { seconds: 60 });
    expect(warnings()).toHaveLength(1);
    act(() => void window.dispatchEvent(new Event('pointerdown')));
    expect(warnings()).toEqual([]);
  });

  it('goes when the lock comes, with the edits', () => {
    const { result, emit, warnings } = setup();
    act(() => result.current.setDirty('profile-form', true));
    emit('lockSoon', { seconds: 60 });
    emit('locked', { reason: 'idle' });
    expect(warnings()).toEqual([]);
    // The forms went with the lock: a later warning has nothing to protect.
    emit('lockSoon', { seconds: 60 });
    expect(warnings()).toEqual([]);
  });
});
