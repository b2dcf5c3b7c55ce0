// Loads extension.js with stand-ins for the `vscode` API and for
// vscode-languageclient, and checks what it starts: `dialplan lsp` over
// stdio, from the executable named by the `dialplan.path` setting, for
// documents of the `dialplan` language, with `dialplan.config` passed on.
// Run with `node test/extension.test.js` (no npm packages needed).
'use strict';

const assert = require('assert');
const Module = require('module');
const path = require('path');

const settings = { path: '/opt/venv/bin/dialplan', config: '' };
const started = [];
const stopped = [];
const commands = {};
let configurationListener;

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    this.args = { id, name, serverOptions, clientOptions };
    started.push(this);
  }
  async start() {}
  async stop() { stopped.push(this); }
}

const vscode = {
  workspace: {
    getConfiguration: (section) => {
      assert.strictEqual(section, 'dialplan');
      return { get: (key) => settings[key] };
    },
    onDidChangeConfiguration: (listener) => { configurationListener = listener; return {}; },
  },
  commands: {
    registerCommand: (name, callback) => { commands[name] = callback; return {}; },
  },
  window: { showErrorMessage: (message) => { throw new Error(message); } },
};

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscode;
  if (request === 'vscode-languageclient/node') {
    return { LanguageClient, TransportKind: { stdio: 0 } };
  }
  return load.call(this, request, parent, isMain);
};

(async () => {
  const extension = require(path.join(__dirname, '..', 'extension.js'));
  const context = { subscriptions: [] };
  await extension.activate(context);

  assert.strictEqual(started.length, 1);
  const { serverOptions, clientOptions } = started[0].args;
  assert.deepStrictEqual(serverOptions.run,
    { command: '/opt/venv/bin/dialplan', args: ['lsp'], transport: 0 });
  assert.deepStrictEqual(clientOptions.documentSelector, [{ language: 'dialplan' }]);
  assert.deepStrictEqual(clientOptions.initializationOptions, {});
  assert.ok(commands['dialplan.restartServer']);

  // A new executable or configuration file restarts the server with it.
  settings.path = 'dialplan';
  settings.config = '/work/calls/.dialplan.toml';
  await configurationListener({ affectsConfiguration: (key) => key === 'dialplan.config' });
  assert.strictEqual(stopped.length, 1);
  assert.strictEqual(started.length, 2);
  assert.strictEqual(started[1].args.serverOptions.run.command, 'dialplan');
  assert.deepStrictEqual(started[1].args.clientOptions.initializationOptions,
    { config: '/work/calls/.dialplan.toml' });

  await extension.deactivate();
  assert.strictEqual(stopped.length, 2);
  console.log('extension.js: ok');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
