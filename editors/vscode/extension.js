// Starts `ndg lsp` (or the command in the `ndg.command` setting) for .ndg files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const [command, ...args] = vscode.workspace.getConfiguration("ndg").get("command");
  client = new LanguageClient("ndg", "ndg", { command, args }, { documentSelector: [{ language: "ndg" }] });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
