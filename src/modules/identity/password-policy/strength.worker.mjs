// zxcvbn off the event loop: one worker thread ranks the dictionaries once and scores passwords on
// request. Plain JavaScript so it loads the same under tsx, the `bulwark` bin and the test runner (a
// worker does not inherit their TypeScript loaders). Messages: { id, password, userInputs } in,
// { id, score, warning, suggestions } out. Options come from strength.ts through workerData.
import { parentPort, workerData } from 'node:worker_threads';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

const factory = new ZxcvbnFactory({
  translations: english.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...english.dictionary },
  maxLength: workerData.maxLength,
  l33tMaxSubstitutions: workerData.l33tMaxSubstitutions,
});

parentPort?.on('message', ({ id, password, userInputs }) => {
  const result = factory.check(password, userInputs);
  parentPort?.postMessage({
    id,
    score: result.score,
    warning: result.feedback.warning,
    suggestions: result.feedback.suggestions,
  });
});
