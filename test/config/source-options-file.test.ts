import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadSourceOptions,
  localConfigFiles,
  SourceOptionsError,
} from '../../lambdas/config/source-options.js';
import { withTempHome } from '../support/temp-home.js';

const config = (accountProperty: string) =>
  JSON.stringify({ sources: { delighted: { account_properties: [accountProperty] } } });

describe('the mapping config file a local command reads', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function folders() {
    const temp = await withTempHome();
    cleanups.push(temp.cleanup);
    const workingDirectory = path.join(temp.root, 'work');
    const home = path.join(temp.root, 'home');
    await mkdir(workingDirectory, { recursive: true });
    await mkdir(home, { recursive: true });
    const [workingFile, homeFile] = localConfigFiles(home).map((file) =>
      path.resolve(workingDirectory, file),
    );
    return { home, workingFile: workingFile!, homeFile: homeFile! };
  }

  it("falls back to the home's file (where the vendor demo writes its mapping) when the working directory has none", async () => {
    const { homeFile, workingFile } = await folders();
    await writeFile(homeFile, config('org_id'));

    const options = await loadSourceOptions(undefined, [workingFile, homeFile]);

    expect(options('delighted')).toMatchObject({ account_properties: ['org_id'] });
  });

  it("prefers the working directory's file, and takes every default when neither exists", async () => {
    const { homeFile, workingFile } = await folders();
    expect((await loadSourceOptions(undefined, [workingFile, homeFile]))('delighted')).toMatchObject({
      account_properties: ['account_id', 'company_id'],
    });

    await writeFile(homeFile, config('org_id'));
    await writeFile(workingFile, config('tenant_id'));

    const options = await loadSourceOptions(undefined, [workingFile, homeFile]);

    expect(options('delighted')).toMatchObject({ account_properties: ['tenant_id'] });
  });

  it('reads only the file CS_PULSE_CONFIG names, which must exist', async () => {
    const { homeFile, workingFile } = await folders();
    await writeFile(homeFile, config('org_id'));

    await expect(loadSourceOptions(workingFile, [homeFile])).rejects.toThrow(SourceOptionsError);
  });
});
