// Widget modules served by this site: the embed manager asks require.js for a widget's
// module before it looks on a CDN, so a path here keeps the page working offline.
// Paths are relative to this script, so pages at any depth find them.
(function () {
  var script = document.currentScript.src;
  var here = script.substring(0, script.lastIndexOf("/") + 1);
  require.config({ paths: { "@bokeh/jupyter_bokeh": here + "jupyter_bokeh/index" } });
})();
