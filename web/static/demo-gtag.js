// A stand-in for the Google tag's snippet: gtag pushes its arguments onto
// dataLayer, so a test can read the Consent Mode calls in the order made.
window.dataLayer = window.dataLayer || [];
window.gtag = function () { window.dataLayer.push(arguments); };
