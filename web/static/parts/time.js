// time.js (part): shows a time the browser knows (the gate's moment of
// decision) by the server's one rule (lang/texts.TimeFormatOf), which the
// page carries as JSON: the zone as a fixed offset and a layout. No zone of
// the device and no Intl are asked, so the page says what the server's
// pages say, whatever zone the phone is set to. Vectors shared with the Go
// tests: testdata/scripts/time.json.

// formatTime fills f.layout from date shifted by f.offset seconds: {Y}
// year, {M} month 1–12, {Mon} f.months' name of it, {D} day, {hh} hour and
// {mm} minute, two digits each. It returns "" for a date that is not one.
function formatTime(date, f) {
  var t = new Date(date.getTime() + f.offset * 1000);
  if (isNaN(t.getTime())) {
    return "";
  }
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  var fields = {
    Y: String(t.getUTCFullYear()),
    M: String(t.getUTCMonth() + 1),
    Mon: (f.months || [])[t.getUTCMonth()] || "",
    D: String(t.getUTCDate()),
    hh: two(t.getUTCHours()),
    mm: two(t.getUTCMinutes())
  };
  return f.layout.replace(/\{(Y|Mon|M|D|hh|mm)\}/g, function (all, name) { return fields[name]; });
}
