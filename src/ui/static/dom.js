// Building the page's elements in one expression: el("li", { className: "x" }, child, "text").

/** A new element with `props` assigned and `children` appended. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}
