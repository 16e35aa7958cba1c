// A stand-in for an analytics tag, held until analytics is granted: it
// counts its runs and sets an analytics cookie, which withdrawal must remove.
window.__demoAnalyticsRuns = (window.__demoAnalyticsRuns || 0) + 1;
document.cookie = "_ga=GA1.1." + Math.floor(Math.random() * 1e9) + "." + Math.floor(Date.now() / 1000) + "; path=/; max-age=63072000; samesite=lax";
