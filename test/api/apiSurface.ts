/**
 * The public API surface of every package, one report per package
 * (`packages/<name>/api/<name>.api.md`): for each entry point of its `exports`, every
 * exported name with its kind and its type as the TypeScript checker prints it, members
 * included, without comments. A change to what a package exports, or to a signature,
 * changes the report, so it shows in review; `test/api/api.test.ts` fails when a report is
 * stale (ADR 0406).
 *
 *   node --import tsx test/api/apiSurface.ts --write    # regenerate the reports
 *
 * API Extractor is the usual tool for such reports, but it reads one entry point per
 * package (ours have up to seven) and took 48 s per entry point on this machine.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..', '..');
const flags =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
  ts.TypeFormatFlags.WriteArrayAsGenericType;

interface Entry {
  readonly specifier: string;
  readonly file: string;
}

/** Every published package and its entry points, from each package.json's `exports`. */
export function packageEntries(): { name: string; dir: string; entries: Entry[] }[] {
  return readdirSync(join(root, 'packages'))
    .sort()
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
        name: string;
        /** The source under `default`; the built file under `trickle-dist` (ADR 0420). */
        exports: Record<string, { default: string }>;
      };
      const entries = Object.entries(manifest.exports).map(([key, conditions]) => ({
        specifier: key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`,
        file: join(root, 'packages', dir, conditions.default),
      }));
      return { name: manifest.name, dir, entries };
    });
}

function describeSymbol(checker: ts.TypeChecker, exported: ts.Symbol): string[] {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const name = exported.name;
  const declaration = symbol.declarations?.[0];
  const lines: string[] = [];
  const members = (type: ts.Type, indent: string) => {
    for (const property of checker.getPropertiesOfType(type)) {
      const propertyType = checker.getTypeOfSymbol(property);
      const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
      const decl = property.declarations?.[0];
      const readonly =
        decl !== undefined && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly ? 'readonly ' : '';
      lines.push(
        `${indent}${readonly}${property.name}${optional}: ${checker.typeToString(propertyType, undefined, flags)};`,
      );
    }
    for (const signature of type.getCallSignatures()) {
      lines.push(`${indent}${checker.signatureToString(signature, undefined, flags)};`);
    }
  };
  if (symbol.flags & ts.SymbolFlags.Class && declaration !== undefined) {
    const staticType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
    const bases = instanceType.isClassOrInterface() ? (checker.getBaseTypes(instanceType) ?? []) : [];
    const extendsText =
      bases.length > 0 ? ` extends ${bases.map((b) => checker.typeToString(b, undefined, flags)).join(', ')}` : '';
    lines.push(`class ${name}${extendsText} {`);
    for (const signature of staticType.getConstructSignatures()) {
      lines.push(`  constructor${checker.signatureToString(signature, undefined, flags).replace(/\): .*$/, ')')};`);
    }
    for (const property of checker.getPropertiesOfType(staticType)) {
      if (property.name === 'prototype') continue;
      lines.push(
        `  static ${property.name}: ${checker.typeToString(checker.getTypeOfSymbol(property), undefined, flags)};`,
      );
    }
    members(instanceType, '  ');
    lines.push('}');
  } else if (symbol.flags & ts.SymbolFlags.Interface) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const params =
      type.isClassOrInterface() && type.typeParameters
        ? `<${type.typeParameters.map((p) => checker.typeToString(p)).join(', ')}>`
        : '';
    lines.push(`interface ${name}${params} {`);
    members(type, '  ');
    for (const info of checker.getIndexInfosOfType(type)) {
      lines.push(
        `  [key: ${checker.typeToString(info.keyType)}]: ${checker.typeToString(info.type, undefined, flags)};`,
      );
    }
    lines.push('}');
  } else if (
    symbol.flags & ts.SymbolFlags.TypeAlias &&
    declaration !== undefined &&
    ts.isTypeAliasDeclaration(declaration)
  ) {
    const params = declaration.typeParameters
      ? `<${declaration.typeParameters.map((p) => p.getText()).join(', ')}>`
      : '';
    lines.push(`type ${name}${params} = ${declaration.type.getText().replace(/\s+/g, ' ')};`);
  } else if (symbol.flags & ts.SymbolFlags.Function && declaration !== undefined) {
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    for (const signature of type.getCallSignatures()) {
      lines.push(`function ${name}${checker.signatureToString(signature, undefined, flags)};`);
    }
  } else if (symbol.flags & ts.SymbolFlags.Variable && declaration !== undefined) {
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    lines.push(`const ${name}: ${checker.typeToString(type, undefined, flags)};`);
  } else if (symbol.flags & ts.SymbolFlags.Enum) {
    lines.push(`enum ${name}`);
  } else {
    lines.push(`${ts.SymbolFlags[symbol.flags] ?? 'export'} ${name}`);
  }
  return lines;
}

/** The report of every package, by its path relative to the repository. */
export function apiSurface(): Map<string, string> {
  const packages = packageEntries();
  const files = packages.flatMap((p) => p.entries.map((e) => e.file));
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error('tsconfig.json: unreadable');
  const program = ts.createProgram(files, config.options);
  const checker = program.getTypeChecker();
  const reports = new Map<string, string>();
  for (const { name, dir, entries } of packages) {
    const out = [
      `# API surface of ${name}`,
      '',
      'Generated by `node --import tsx test/api/apiSurface.ts --write`; do not edit.',
      '',
    ];
    for (const entry of entries) {
      const source = program.getSourceFile(entry.file);
      const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
      if (moduleSymbol === undefined) throw new Error(`${entry.file}: no module`);
      const exported = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name, 'en'));
      out.push(`## ${entry.specifier}`, '', '```ts');
      for (const symbol of exported) out.push(...describeSymbol(checker, symbol));
      out.push('```', '');
    }
    reports.set(join('packages', dir, 'api', `${dir}.api.md`), out.join('\n'));
  }
  return reports;
}

if (process.argv.includes('--write')) {
  const { mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  for (const [path, text] of apiSurface()) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    console.log(`wrote ${path}`);
  }
}
