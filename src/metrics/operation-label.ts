import type { DocumentNode, OperationDefinitionNode, SelectionSetNode } from "graphql";

/** More than one root field in one operation: one label, so combinations cannot multiply series. */
export const MULTIPLE_FIELDS = "multiple";

/**
 * The metrics label of a validated operation: the name of the one root field it selects (`me`,
 * `login`, `__typename`), or "multiple". Field names have passed validation against the schema,
 * so the set of labels is the schema's root fields; the client's operation name and aliases are
 * its own text and never become a label.
 */
export function operationLabel(document: DocumentNode, operation: OperationDefinitionNode): string {
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === "FragmentDefinition") fragments.set(definition.name.value, definition.selectionSet);
  }
  const names = new Set<string>();
  const visited = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === "Field") names.add(selection.name.value);
      else if (selection.kind === "InlineFragment") collect(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const spread = fragments.get(selection.name.value);
        if (spread) collect(spread);
      }
    }
  };
  collect(operation.selectionSet);
  const [only] = names;
  return names.size === 1 && only !== undefined ? only : MULTIPLE_FIELDS;
}
