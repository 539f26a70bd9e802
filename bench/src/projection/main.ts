export async function projection(_argv: string[]): Promise<void> {
  console.log('projection bench: not yet written')
}
