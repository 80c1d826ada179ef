/*
| JavaScript entrypoint for ace: registers the TypeScript loader, then
| hands over to bin/console.ts.
*/
import '@poppinss/ts-exec'

// Typed in a shell, `node` is the shell's own; npm scripts and npx run the Node 24 of npm ci
if (Number(process.versions.node.split('.')[0]) < 24) {
  const command = ['npx node ace', ...process.argv.slice(2)].join(' ')
  console.error(`Relance runs on Node.js 24, not ${process.version}: run \`${command}\``)
  process.exit(1)
}

await import('./bin/console.js')
