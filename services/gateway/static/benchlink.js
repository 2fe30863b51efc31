// The dashboard's link to the benchmark page keeps the page's buyer, language and token.
(() => {
  'use strict';
  const a = document.getElementById('bench-link');
  const q = new URLSearchParams(location.search);
  const keep = new URLSearchParams();
  for (const k of ['buyer', 'lang', 'access_token']) if (q.get(k)) keep.set(k, q.get(k));
  if (a) a.href = '/benchmark' + (keep.toString() ? '?' + keep.toString() : '');
})();
