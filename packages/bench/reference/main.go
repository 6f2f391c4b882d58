// Command reference is the bench's client-go yardstick: the Guitar controller written the way
// client-go's own samples are (dynamic informer, rate-limited workqueue, 32 workers, a JSON merge
// patch with a resourceVersion precondition, the same review policy file), with client-side
// throttling off. packages/bench runs it beside the TypeScript controller on the same backlog.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/yaml"
)

const reviewedBrand = "kool.karmalabs.local/reviewed-brand"

var guitars = schema.GroupVersionResource{Group: "kool.karmalabs.local", Version: "v1", Resource: "guitars"}

type review struct {
	Verdict string `json:"verdict"`
	Comment string `json:"comment"`
}

type policy struct {
	Rules []struct {
		review
		Brands []string `json:"brands"`
	} `json:"rules"`
	Otherwise review `json:"otherwise"`
}

// loadPolicy reads a policy file, or the guitars-review-policy ConfigMap that holds one.
func loadPolicy(path string) (func(brand string) review, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var configMap struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(text, &configMap); err == nil && configMap.Data["policy.yaml"] != "" {
		text = []byte(configMap.Data["policy.yaml"])
	}
	var p policy
	if err := yaml.UnmarshalStrict(text, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	byBrand := map[string]review{}
	for _, rule := range p.Rules {
		for _, brand := range rule.Brands {
			byBrand[normalize(brand)] = rule.review
		}
	}
	return func(brand string) review {
		if r, ok := byBrand[normalize(brand)]; ok {
			return r
		}
		return p.Otherwise
	}, nil
}

func normalize(brand string) string { return strings.ToLower(strings.TrimSpace(brand)) }

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "path to a kubeconfig")
	policyPath := flag.String("policy", "", "review policy file (or the ConfigMap holding policy.yaml)")
	workers := flag.Int("workers", 32, "reviews in flight")
	namespace := flag.String("namespace", metav1.NamespaceAll, "watch one namespace (default: all)")
	flag.Parse()

	reviewOf, err := loadPolicy(*policyPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reference:", err)
		os.Exit(2)
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reference:", err)
		os.Exit(2)
	}
	// Client-side throttling off, as the TypeScript controller has none.
	config.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	client := dynamic.NewForConfigOrDie(config)

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()

	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, 0, *namespace, nil)
	informer := factory.ForResource(guitars).Informer()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj interface{}) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
	})
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		os.Exit(1)
	}
	// The bench reads this line as "ready", as it reads the controller's /readyz.
	fmt.Fprintln(os.Stderr, "synced")

	reconcile := func(key string) error {
		obj, exists, err := informer.GetIndexer().GetByKey(key)
		if err != nil || !exists {
			return err
		}
		guitar := obj.(*unstructured.Unstructured)
		brand, _, _ := unstructured.NestedString(guitar.Object, "spec", "brand")
		done, _, _ := unstructured.NestedBool(guitar.Object, "spec", "review")
		comment, _, _ := unstructured.NestedString(guitar.Object, "spec", "comment")
		r := reviewOf(brand)
		if done && comment == r.Comment && guitar.GetAnnotations()[reviewedBrand] == brand {
			return nil
		}
		patch, _ := json.Marshal(map[string]interface{}{
			"metadata": map[string]interface{}{
				"resourceVersion": guitar.GetResourceVersion(),
				"annotations":     map[string]string{reviewedBrand: brand},
			},
			"spec": map[string]interface{}{"review": true, "comment": r.Comment},
		})
		_, err = client.Resource(guitars).Namespace(guitar.GetNamespace()).Patch(
			ctx, guitar.GetName(), types.MergePatchType, patch, metaPatchOptions)
		return err
	}
	worker := func(ctx context.Context) {
		for {
			key, shutdown := queue.Get()
			if shutdown {
				return
			}
			if err := reconcile(key); err != nil {
				utilruntime.HandleError(fmt.Errorf("reviewing %s: %w", key, err))
				queue.AddRateLimited(key)
			} else {
				queue.Forget(key)
			}
			queue.Done(key)
		}
	}
	for i := 0; i < *workers; i++ {
		go wait.UntilWithContext(ctx, worker, time.Second)
	}
	<-ctx.Done()
	queue.ShutDown()
}
