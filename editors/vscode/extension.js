// The dialplan extension: starts `dialplan lsp` (the language server that
// ships with dialplan, `pip install 'dialplan[lsp]'`) for .call files.
// Everything the editor shows (diagnostics, quick fixes, hover, completion,
// formatting, the outline) comes from that server; highlighting comes from
// syntaxes/call.tmLanguage.json.
'use strict';

const os = require('os');
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function settings() {
  const config = vscode.workspace.getConfiguration('dialplan');
  let command = (config.get('path') || 'dialplan').trim();
  if (command.startsWith('~/')) {
    command = os.homedir() + command.slice(1);
  }
  const configFile = (config.get('config') || '').trim();
  return { command, configFile };
}

async function start() {
  const { command, configFile } = settings();
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('dialplan', 'dialplan', { run: server, debug: server }, {
    documentSelector: [{ language: 'dialplan' }],
    initializationOptions: configFile ? { config: configFile } : {},
  });
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    vscode.window.showErrorMessage(
      `dialplan: cannot start "${command} lsp" (${error.message || error}). ` +
      "Install it with `pip install 'dialplan[lsp]'`, or set dialplan.path to the " +
      'dialplan executable.');
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function restart() {
  await stop();
  await start();
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('dialplan.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('dialplan.path') ||
          event.affectsConfiguration('dialplan.config')) {
        return restart();
      }
      return undefined;
    }),
  );
  return start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
