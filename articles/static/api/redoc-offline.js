// Redoc's menu footer shows Redocly's logo from its CDN, whatever its settings say. The archive's docs load
// nothing from elsewhere (and the Content-Security-Policy would refuse it, logging a violation), so the
// logo's address is swapped for an empty local image before Redoc sets it. Loaded before Redoc, on its page only.
"use strict";
(function () {
  const CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
  const EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
  const local = (value) => (String(value) === CDN_LOGO ? EMPTY_IMAGE : value);

  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, String(name).toLowerCase() === "src" ? local(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      src.set.call(this, local(value));
    },
  });
})();
