package naver_test

import (
	"fmt"
	"log"

	"github.com/authgo/authgo/providers/naver"
)

func ExampleNew() {
	p, err := naver.New(naver.Options{ClientID: "naver-client-id", ClientSecret: "naver-client-secret"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID(), p.Name(), p.Type())
	// Output: naver Naver oauth
}
