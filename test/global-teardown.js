export default async function globalTeardown() {
  await globalThis.rowferryServices?.stop();
}
