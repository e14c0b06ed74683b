import { buildImages } from '../support/images.ts';

/** Builds the images once for every integration test file. */
export async function globalSetup(): Promise<void> {
  await buildImages();
}
