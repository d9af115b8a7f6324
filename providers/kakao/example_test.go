package kakao_test

import (
	"fmt"
	"log"

	"github.com/authgo/authgo/providers/kakao"
)

func ExampleNew() {
	p, err := kakao.New(kakao.Options{
		ClientID:     "kakao-rest-api-key",
		ClientSecret: "kakao-client-secret",
		Scopes:       []string{"profile_nickname", "profile_image", "account_email"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID(), p.Name(), p.Type())
	// Output: kakao Kakao oauth
}
