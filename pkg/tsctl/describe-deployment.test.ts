import { describe, expect, it } from 'vitest';
import { describeDeployment, selectorString, type ReplicaSet } from './describe-deployment.js';
import { tabwrite } from './tabwriter.js';

// A Deployment rolled from one image to another and its two ReplicaSets, as a tskube cluster
// served them, and what kubectl 1.32's describe printed for them (up to its events).
// (as served: with the fields describe does not read, so not typed as its Deployment)
const deployment = {
  "metadata": {
    "name": "d2",
    "namespace": "tsc-b",
    "uid": "d-uid",
    "creationTimestamp": "2026-12-03T07:28:19Z",
    "labels": {
      "a": "1",
      "b": "2"
    },
    "annotations": {
      "deployment.kubernetes.io/revision": "2",
      "kubectl.kubernetes.io/last-applied-configuration": "{}\n",
      "note": "hello"
    }
  },
  "spec": {
    "minReadySeconds": 3,
    "progressDeadlineSeconds": 600,
    "replicas": 1,
    "revisionHistoryLimit": 10,
    "selector": {
      "matchExpressions": [
        {
          "key": "tier",
          "operator": "In",
          "values": [
            "web",
            "api"
          ]
        },
        {
          "key": "x",
          "operator": "DoesNotExist"
        }
      ],
      "matchLabels": {
        "app": "d2"
      }
    },
    "strategy": {
      "rollingUpdate": {
        "maxSurge": "50%",
        "maxUnavailable": 1
      },
      "type": "RollingUpdate"
    },
    "template": {
      "metadata": {
        "annotations": {
          "t": "1"
        },
        "labels": {
          "app": "d2",
          "tier": "web"
        }
      },
      "spec": {
        "containers": [
          {
            "args": [
              "3600"
            ],
            "command": [
              "sleep"
            ],
            "env": [
              {
                "name": "AA",
                "value": "1"
              },
              {
                "name": "NAME",
                "valueFrom": {
                  "fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": "metadata.name"
                  }
                }
              },
              {
                "name": "SEC",
                "valueFrom": {
                  "secretKeyRef": {
                    "key": "k",
                    "name": "s"
                  }
                }
              }
            ],
            "image": "127.0.0.1:5000/no-such-image:1",
            "imagePullPolicy": "Always",
            "name": "c",
            "ports": [
              {
                "containerPort": 80,
                "hostPort": 8080,
                "protocol": "TCP"
              },
              {
                "containerPort": 53,
                "protocol": "UDP"
              }
            ],
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [
              {
                "mountPath": "/data",
                "name": "v",
                "readOnly": true
              }
            ]
          }
        ],
        "dnsPolicy": "ClusterFirst",
        "initContainers": [
          {
            "command": [
              "sh",
              "-c",
              "true"
            ],
            "image": "tskube.local/busybox:latest",
            "imagePullPolicy": "Always",
            "name": "init",
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File"
          }
        ],
        "nodeSelector": {
          "kubernetes.io/os": "linux"
        },
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 1,
        "tolerations": [
          {
            "effect": "NoSchedule",
            "key": "k",
            "operator": "Exists"
          }
        ],
        "volumes": [
          {
            "emptyDir": {},
            "name": "v"
          }
        ]
      }
    }
  },
  "status": {
    "replicas": 1,
    "updatedReplicas": 1,
    "unavailableReplicas": 1,
    "conditions": [
      {
        "type": "Available",
        "status": "True",
        "reason": "MinimumReplicasAvailable"
      },
      {
        "type": "Progressing",
        "status": "True",
        "reason": "ReplicaSetUpdated"
      }
    ]
  }
};
const replicaSets: ReplicaSet[] = [
  {
    "metadata": {
      "name": "d2-5b6958dfbd",
      "creationTimestamp": "2026-12-03T07:28:19Z",
      "annotations": {
        "deployment.kubernetes.io/revision": "1"
      }
    },
    "spec": {
      "replicas": 0
    },
    "status": {
      "replicas": 0
    }
  },
  {
    "metadata": {
      "name": "d2-5f8b4f957d",
      "creationTimestamp": "2026-12-03T07:28:22Z",
      "annotations": {
        "deployment.kubernetes.io/revision": "2"
      }
    },
    "spec": {
      "replicas": 1
    },
    "status": {
      "replicas": 1
    }
  }
];
const described = [
  "Name:                   d2",
  "Namespace:              tsc-b",
  "CreationTimestamp:      Thu, 03 Dec 2026 07:28:19 +0000",
  "Labels:                 a=1",
  "                        b=2",
  "Annotations:            deployment.kubernetes.io/revision: 2",
  "                        note: hello",
  "Selector:               app=d2,tier in (api,web),!x",
  "Replicas:               1 desired | 1 updated | 1 total | 0 available | 1 unavailable",
  "StrategyType:           RollingUpdate",
  "MinReadySeconds:        3",
  "RollingUpdateStrategy:  1 max unavailable, 50% max surge",
  "Pod Template:",
  "  Labels:           app=d2",
  "                    tier=web",
  "  Annotations:      t: 1",
  "  Service Account:  default",
  "  Init Containers:",
  "   init:",
  "    Image:      tskube.local/busybox:latest",
  "    Port:       <none>",
  "    Host Port:  <none>",
  "    Command:",
  "      sh",
  "      -c",
  "      true",
  "    Environment:  <none>",
  "    Mounts:       <none>",
  "  Containers:",
  "   c:",
  "    Image:       127.0.0.1:5000/no-such-image:1",
  "    Ports:       80/TCP, 53/UDP",
  "    Host Ports:  8080/TCP, 0/UDP",
  "    Command:",
  "      sleep",
  "    Args:",
  "      3600",
  "    Environment:",
  "      AA:    1",
  "      NAME:   (v1:metadata.name)",
  "      SEC:   <set to the key 'k' in secret 's'>  Optional: false",
  "    Mounts:",
  "      /data from v (ro)",
  "  Volumes:",
  "   v:",
  "    Type:          EmptyDir (a temporary directory that shares a pod's lifetime)",
  "    Medium:        ",
  "    SizeLimit:     <unset>",
  "  Node-Selectors:  kubernetes.io/os=linux",
  "  Tolerations:     k:NoSchedule op=Exists",
  "Conditions:",
  "  Type           Status  Reason",
  "  ----           ------  ------",
  "  Available      True    MinimumReplicasAvailable",
  "  Progressing    True    ReplicaSetUpdated",
  "OldReplicaSets:  d2-5b6958dfbd (0/0 replicas created)",
  "NewReplicaSet:   d2-5f8b4f957d (1/1 replicas created)"
];

describe('tsctl describe deployment', () => {
  it('prints what kubectl describe deployment prints: selector, replicas, strategy, pod template, conditions, ReplicaSets', () => {
    expect(tabwrite(describeDeployment(deployment, replicaSets).join('\n')).split('\n')).toEqual(described);
  });

  it('prints no OldReplicaSets and NewReplicaSet lines for a deployment without ReplicaSets, as 1.32 does; its Events cell joins the block above it', () => {
    const lines = tabwrite([...describeDeployment(deployment, []), 'Events:\t<none>'].join('\n')).split('\n');
    expect(lines.slice(-6)).toEqual(['Conditions:', '  Type          Status  Reason', '  ----          ------  ------', '  Available     True    MinimumReplicasAvailable', '  Progressing   True    ReplicaSetUpdated', 'Events:         <none>']);
  });

  it('writes a selector as labels.Selector does, requirements sorted by key', () => {
    expect(selectorString({ matchLabels: { z: '1', a: '2' }, matchExpressions: [{ key: 'm', operator: 'NotIn', values: ['y', 'x'] }, { key: 'b', operator: 'Exists' }] })).toBe('a=2,b,m notin (x,y),z=1');
  });
});

describe('tabwrite', () => {
  it('aligns a column over consecutive lines that have it, as Go\'s tabwriter', () => {
    expect(tabwrite('a:\t1\nlonger:\t2\nbreak\nb:\t3').split('\n')).toEqual(['a:       1', 'longer:  2', 'break', 'b:  3']);
  });
});
