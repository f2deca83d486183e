import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { kafkaLogLevel } from './client.ts';

test('HEALTH: a lost race to create a shared topic is warm-up chatter (debug), while other kafkajs errors and warnings keep their level', () => {
  assert.equal(kafkaLogLevel(kafkajs.logLevel.ERROR, { error: 'Topic creation errors' }), 'debug');
  assert.equal(kafkaLogLevel(kafkajs.logLevel.ERROR, { error: 'Connection timeout' }), 'error');
  assert.equal(kafkaLogLevel(kafkajs.logLevel.ERROR, {}), 'error');
  assert.equal(kafkaLogLevel(kafkajs.logLevel.WARN, {}), 'warn');
  assert.equal(kafkaLogLevel(kafkajs.logLevel.INFO, {}), 'debug');
});
