// Package env builds providers from the environment variables Auth.js
// reads, for programs configured that way (cmd/authgo's serve is one).
// Nothing in authgo reads the environment by itself: a program calls
// [FromEnv] with os.Getenv, or with a lookup of its own.
//
// Each preset comes on when both its variables are set:
//
//	AUTH_GITHUB_ID, AUTH_GITHUB_SECRET   GitHub (package github)
//	AUTH_GOOGLE_ID, AUTH_GOOGLE_SECRET   Google (package google); AUTH_GOOGLE_ISSUER replaces the issuer
//	AUTH_KAKAO_ID,  AUTH_KAKAO_SECRET    Kakao  (package kakao)
//	AUTH_NAVER_ID,  AUTH_NAVER_SECRET    Naver  (package naver)
//
// and any OpenID Connect provider (package oidc, provider id "oidc") with
// AUTH_OIDC_ISSUER, AUTH_OIDC_ID and AUTH_OIDC_SECRET; AUTH_OIDC_NAME names
// its button (default "OpenID Connect").
//
// A provider that is only half configured (an id without its secret, an
// issuer without a client id, …) is an error naming what is missing, not
// a provider silently left out.
package env

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/github"
	"github.com/authgo/authgo/providers/google"
	"github.com/authgo/authgo/providers/kakao"
	"github.com/authgo/authgo/providers/naver"
	"github.com/authgo/authgo/providers/oidc"
)

// Options are what the environment does not say.
type Options struct {
	// HTTPClient is passed to every provider, which copies it and adds its
	// own limits (no redirects, a timeout, a 1 MiB body cap). Default:
	// http.DefaultTransport.
	HTTPClient *http.Client
}

// Providers is FromEnv with the default Options.
func Providers(getenv func(string) string) ([]provider.Provider, error) {
	return FromEnv(getenv, Options{})
}

// FromEnv returns the providers the variables turn on, in the order
// GitHub, Google, Kakao, Naver, OIDC. getenv returns "" for an unset
// variable, as os.Getenv does; an empty value counts as unset. A half
// configured provider, or one whose options are invalid, is an error (all
// of them joined), and then no provider is returned. None of the providers
// makes a request before its first sign-in.
func FromEnv(getenv func(string) string, o Options) ([]provider.Provider, error) {
	if getenv == nil {
		return nil, errors.New("env: getenv is nil")
	}
	hc := o.HTTPClient
	var (
		out  []provider.Provider
		errs []error
	)
	add := func(p provider.Provider, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, p)
	}
	// set reports whether the group is configured: all of names set, or
	// none of names or optional set (and an error otherwise).
	set := func(names []string, optional ...string) bool {
		var have, missing []string
		for _, n := range names {
			if getenv(n) != "" {
				have = append(have, n)
			} else {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return true
		}
		for _, n := range optional {
			if getenv(n) != "" {
				have = append(have, n)
			}
		}
		if len(have) > 0 {
			errs = append(errs, fmt.Errorf("env: %s set but %s not", strings.Join(have, ", "), strings.Join(missing, ", ")))
		}
		return false
	}

	if set([]string{"AUTH_GITHUB_ID", "AUTH_GITHUB_SECRET"}) {
		add(github.New(github.Options{ClientID: getenv("AUTH_GITHUB_ID"), ClientSecret: getenv("AUTH_GITHUB_SECRET"), HTTPClient: hc}))
	}
	if set([]string{"AUTH_GOOGLE_ID", "AUTH_GOOGLE_SECRET"}, "AUTH_GOOGLE_ISSUER") {
		add(google.New(google.Options{
			ClientID: getenv("AUTH_GOOGLE_ID"), ClientSecret: getenv("AUTH_GOOGLE_SECRET"), Issuer: getenv("AUTH_GOOGLE_ISSUER"),
			HTTPClient: hc,
		}))
	}
	if set([]string{"AUTH_KAKAO_ID", "AUTH_KAKAO_SECRET"}) {
		add(kakao.New(kakao.Options{ClientID: getenv("AUTH_KAKAO_ID"), ClientSecret: getenv("AUTH_KAKAO_SECRET"), HTTPClient: hc}))
	}
	if set([]string{"AUTH_NAVER_ID", "AUTH_NAVER_SECRET"}) {
		add(naver.New(naver.Options{ClientID: getenv("AUTH_NAVER_ID"), ClientSecret: getenv("AUTH_NAVER_SECRET"), HTTPClient: hc}))
	}
	if set([]string{"AUTH_OIDC_ISSUER", "AUTH_OIDC_ID", "AUTH_OIDC_SECRET"}, "AUTH_OIDC_NAME") {
		add(oidc.New(oidc.Options{
			ID: "oidc", Name: getenv("AUTH_OIDC_NAME"), Issuer: getenv("AUTH_OIDC_ISSUER"),
			ClientID: getenv("AUTH_OIDC_ID"), ClientSecret: getenv("AUTH_OIDC_SECRET"),
			HTTPClient: hc,
		}))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
