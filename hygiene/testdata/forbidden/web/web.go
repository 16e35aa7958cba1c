package web

// Ready is anything web holds.
var Ready = true
