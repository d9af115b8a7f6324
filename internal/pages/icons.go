package pages

import "html/template"

// providerStyle is how a provider's button looks: a CSS class that sets its
// colours (style.css) and an inline SVG mark. The marks are simple shapes
// drawn for this package, sized by the .icon class, with no external
// references, so the page still loads nothing from elsewhere.
type providerStyle struct {
	Class string
	Icon  template.HTML
}

// Marks drawn on a 24×24 grid.
const (
	// A cat's head with ears over a short body: GitHub's Octocat, simplified.
	githubIcon = `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M5.3 3.6 8.6 6.4a9 8 0 0 1 6.8 0l3.3-2.8.6 4.6A6.6 6 0 0 1 20 11.5c0 3.4-2.6 5.4-6 5.8.8.5 1 1.3 1 2.3V22H9v-1.6c-2.3.4-3.4-.7-4-2-.4-.8-1-1.2-1.6-1.3l.2-.8c1 .1 1.7.8 2.2 1.6.5.8 1.5 1.3 3.2.8.1-.6.4-1 .8-1.3-3.4-.4-5.8-2.4-5.8-5.8a6.6 6 0 0 1 .7-3.3z"/></svg>`
	// A four-colour G: a ring open at the upper right, with a bar.
	googleIcon = `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><g fill="none" stroke-width="3.6"><path stroke="#ea4335" d="M5.86 7.7A7.5 7.5 0 0 1 17.57 6.98"/><path stroke="#fbbc05" d="M6.7 17.3A7.5 7.5 0 0 1 5.86 7.7"/><path stroke="#34a853" d="M17.3 17.3A7.5 7.5 0 0 1 6.7 17.3"/><path stroke="#4285f4" d="M12 12h7.5A7.5 7.5 0 0 1 17.3 17.3"/></g></svg>`
	// A speech bubble.
	kakaoIcon = `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 3.5c-5 0-9.5 3.2-9.5 7.2 0 2.6 1.7 4.8 4.3 6.1l-1 3.7c-.1.3.3.6.6.4l4.3-2.9c.4 0 .9.1 1.3.1 5 0 9.5-3.2 9.5-7.3S17 3.5 12 3.5z"/></svg>`
	// A blocky N.
	naverIcon = `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M5 4h4.9l4.3 6.4V4H19v16h-4.9l-4.3-6.4V20H5z"/></svg>`
	// A key, for any other OAuth or OpenID Connect provider.
	keyIcon = `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><g fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="7.5" cy="12" r="4"/><path d="M11.5 12H21m-3 0v3.5M15 12v2.5"/></g></svg>`
	// An envelope, for an email provider.
	mailIcon = `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><g fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"><rect x="3" y="5.5" width="18" height="13" rx="2"/><path d="m3.5 7 8.5 6.5L20.5 7"/></g></svg>`
)

// providerStyles are the providers with their own look, by provider id (the
// default ids of the providers packages).
var providerStyles = map[string]providerStyle{
	"github": {"p-github", githubIcon},
	"google": {"p-google", googleIcon},
	"kakao":  {"p-kakao", kakaoIcon},
	"naver":  {"p-naver", naverIcon},
}

// styleOf returns the look of the button of provider id: its own, or the
// neutral key on a secondary button.
func styleOf(id string) providerStyle {
	if s, ok := providerStyles[id]; ok {
		return s
	}
	return providerStyle{"secondary", keyIcon}
}
