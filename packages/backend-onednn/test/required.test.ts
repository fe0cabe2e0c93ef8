// Where the onednn backend must run (CI: .ci/run installs libdnnl-dev and sets
// RESNET_ONEDNN_REQUIRED=1), an addon that did not build or load is a failure, not a row of skipped
// tests. Elsewhere this only checks that the reason for skipping says what fixes it.
import { expect, test } from 'vitest';
import { status } from './helpers.js';

const required = process.env.RESNET_ONEDNN_REQUIRED === '1';

test.runIf(required)('RESNET_ONEDNN_REQUIRED=1: the onednn backend is available (so no onednn test was skipped)', () => {
  expect(status.available, `onednn must run here: ${status.reason}`).toBe(true);
  expect(status.details?.onednn).toMatch(/^\d+\.\d+\.\d+$/);
});

test.runIf(!status.available)('when onednn is not available, its reason names the command that fixes it', () => {
  expect(status.reason).toMatch(/apt-get install libdnnl-dev|rebuild-native|npm rebuild/);
});
