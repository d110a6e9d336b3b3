import type { RoutineRegistry } from "../core/routine.js";
import { importRoutineModule, type RoutineModule, RoutineModuleError } from "./load-user-code.js";

/**
 * The user's routine types in a registry that already holds the built-ins, remembered by file so a changed file
 * can be imported again and its types replaced. A type removed from a file stays registered until restart (the
 * registry has no removal: flows that still name it keep compiling).
 */
export class UserRoutines {
  readonly #registry: RoutineRegistry;
  /** Type name → the file that defines it. */
  readonly #owners = new Map<string, string>();
  #version = 0;

  constructor(registry: RoutineRegistry) {
    this.#registry = registry;
  }

  /** Imports each file and registers its types; throws RoutineModuleError on a broken module or a name clash. */
  async load(files: readonly string[]): Promise<RoutineModule[]> {
    const modules: RoutineModule[] = [];
    for (const file of files) modules.push(this.#register(await importRoutineModule(file)));
    return modules;
  }

  /** Imports a fresh copy of `file` and replaces its types; on error the previous types stay in service. */
  async reload(file: string): Promise<RoutineModule> {
    this.#version++;
    return this.#register(await importRoutineModule(file, this.#version));
  }

  #register(module: RoutineModule): RoutineModule {
    for (const type of module.types) {
      const owner = this.#owners.get(type.name);
      if (owner !== undefined && owner !== module.file) {
        throw new RoutineModuleError(
          module.file,
          `routine type '${type.name}' is already defined in ${owner}`,
        );
      }
      if (owner === undefined && this.#registry.has(type.name)) {
        throw new RoutineModuleError(
          module.file,
          `routine type '${type.name}' has the name of a built-in routine`,
        );
      }
    }
    for (const type of module.types) {
      this.#registry.register(type, { replace: true });
      this.#owners.set(type.name, module.file);
    }
    return module;
  }
}
