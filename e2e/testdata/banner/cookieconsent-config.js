// vanilla-cookieconsent 3.1.0 as its getting-started guide sets it up
// (cookieconsent-config.js, imported as a module), with Kaiconn's three
// categories and texts.
import "{{.CDN}}/cookieconsent.umd.js";

CookieConsent.run({
  categories: {
{{- range .Text.Categories}}
    {{json .ID}}: {{if .Required}}{ enabled: true, readOnly: true }{{else}}{}{{end}},
{{- end}}
  },
  language: {
    default: {{json .Lang}},
    translations: {
      {{json .Lang}}: {
        consentModal: {
          title: {{json .Text.Title}},
          description: {{json .Text.Intro}} + ' <a href="' + {{json .Text.PolicyURL}} + '" target="_blank" rel="noopener">' + {{json .Text.Policy}} + "</a>",
          acceptAllBtn: {{json .Text.Accept}},
          acceptNecessaryBtn: {{json .Text.Reject}},
          showPreferencesBtn: {{json .Text.Customise}}
        },
        preferencesModal: {
          title: {{json .Text.Label}},
          acceptAllBtn: {{json .Text.Accept}},
          acceptNecessaryBtn: {{json .Text.Reject}},
          savePreferencesBtn: {{json .Text.Save}},
          sections: [
{{- range .Text.Categories}}
            { title: {{json .Title}}, description: {{json .Description}}, linkedCategory: {{json .ID}} },
{{- end}}
          ]
        }
      }
    }
  }
});
