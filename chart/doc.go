// Package chart lays out small bar charts as SVG geometry: where each bar,
// tick, axis label and legend entry goes. The views draw it; the page
// carries no script and no style attribute, so the strict Content Security
// Policy holds, and the numbers are in the markup for anyone to read.
//
// Hand-drawn rather than a charting library: the console needs stacked
// columns and 100% rows with axes and a legend, about 300 lines, while the
// Go charting libraries either render through JavaScript (go-echarts),
// draw text as paths that screen readers cannot read and pull in a
// graphics stack (gonum/plot), or are no longer maintained
// (wcharczuk/go-chart).
//
// Must not import: server, api, store, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package chart
