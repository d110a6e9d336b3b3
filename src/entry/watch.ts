import { type FSWatcher, watch } from "node:fs";
import { join } from "node:path";

export interface DirectoryWatch {
  close(): void;
}

/**
 * Calls `onChange(file)` for each file of `dir` whose name passes `accept`, once that file has been quiet for
 * `debounceMs` — editors save in bursts (truncate, write, rename), and one reload per save is what the user wants.
 * The directory is watched, not the files: an editor that saves by renaming a temporary file replaces the file's
 * inode, which a watch on the file itself would lose. Calls never overlap; a change during a call waits its turn.
 */
export function watchDirectory(
  dir: string,
  accept: (name: string) => boolean,
  onChange: (file: string) => Promise<void>,
  options: { debounceMs?: number; onError?: (error: unknown) => void } = {},
): DirectoryWatch {
  const debounceMs = options.debounceMs ?? 100;
  const onError = options.onError ?? ((error) => console.error(error));
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let queue = Promise.resolve();

  const watcher: FSWatcher = watch(dir, (_event, name) => {
    if (!name || !accept(name)) return;
    const file = join(dir, name);
    clearTimeout(timers.get(file));
    timers.set(
      file,
      setTimeout(() => {
        timers.delete(file);
        queue = queue.then(() => onChange(file)).catch(onError);
      }, debounceMs),
    );
  });
  watcher.on("error", onError);

  return {
    close() {
      watcher.close();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
